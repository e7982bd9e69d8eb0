"""Offline sidecar injection: ``meshcharts inject`` and :func:`meshcharts.inject`
(:mod:`.api`).

The injector config and the mesh config come from meshcharts' own render of the same values
flags as the install (or from an already rendered manifest, or from two files); every
workload in the input gets the ``istio-init`` init container, the ``istio-proxy`` sidecar and
their volumes, exactly as Istio 1.0.6's ``istioctl kube-inject`` would add them with that
install. Unlike kube-inject, injecting an injected manifest again replaces the earlier
injection, so the output is the same; see :mod:`.workloads` and :mod:`.injector`.
"""
