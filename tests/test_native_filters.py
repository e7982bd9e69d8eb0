"""Jinja's built-in filters on meshcharts' runtime: the common ones run natively (a render of
cached templates that use them never imports Jinja2), the rest through Jinja's public API, and
the documentation lists exactly the ones that take that path."""
from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from meshcharts.api import RenderOptions, load, render_templates
from meshcharts.template.engine import Engine

ROOT = Path(__file__).resolve().parent.parent

VALUES = ("nums: [3, 1, 2, 3]\nwords: [b, A, a, C]\nm: {b: 2, C: 3, a: 1}\n"
          "people: [{name: p, age: 30}, {name: Q, age: 20}, {name: r, age: 30}]\n")
USES = (
    "{{ Values.nums | sort }} {{ Values.words | sort }} {{ Values.words | sort(case_sensitive=true) }}"
    " {{ Values.people | sort(attribute='age,name') | map(attribute='name') | join(',') }}"
    " {{ Values.words | sort(reverse=true) }}\n"
    "{{ Values.nums | min }} {{ Values.words | max }} {{ Values.people | max(attribute='age') }}"
    " {{ [] | min is defined }}\n"
    "{{ Values.nums | sum }} {{ Values.people | sum(attribute='age') }} {{ Values.nums | sum(start=10) }}\n"
    "{{ Values.nums | unique | list }} {{ Values.words | unique | list }}"
    " {{ Values.words | unique(case_sensitive=true) | list }}\n"
    "{% for k, v in Values.m | dictsort %}{{ k }}={{ v }};{% endfor %}"
    " {{ Values.m | dictsort(by='value', reverse=true) }} {{ Values.m | dictsort(true) }}\n"
)
# What Jinja2's own filters give for USES (with Helm's printing of lists, maps and booleans).
EXPECTED = (
    "[1 2 3 3] [A a b C] [A C a b] Q,p,r [C b A a]\n"
    "1 C map[age:30 name:p] false\n"
    "9 80 19\n"
    "[3 1 2] [b A C] [b A a C]\n"
    "a=1;b=2;C=3; [[C 3] [b 2] [a 1]] [[C 3] [a 1] [b 2]]\n"
)


def test_native_filters_print_what_jinja_prints(make_chart):
    opts = RenderOptions(chart=make_chart({"values.yaml": VALUES, "templates/t.yaml": USES}))
    assert render_templates(opts, *load(opts))["parent/templates/t.yaml"] == EXPECTED


def test_dictsort_by_anything_else_is_an_error(make_chart):
    from meshcharts.errors import TemplateError
    opts = RenderOptions(chart=make_chart({"values.yaml": VALUES, "templates/t.yaml": "x\n{{ Values.m | dictsort(by='x') }}"}))
    with pytest.raises(TemplateError, match=r't.yaml:2: You can only sort by either "key" or "value"'):
        render_templates(opts, *load(opts))


def test_a_cached_render_using_them_never_imports_jinja2(make_chart, tmp_path):
    chart = make_chart({"values.yaml": VALUES, "templates/t.yaml": "kind: T\nv: |\n" + "".join(
        f"  > {line}\n" for line in USES.splitlines())})
    code = ("import sys\nfrom meshcharts.cli import main\n"
            f"try:\n    main(['render', '--chart', {str(chart)!r}])\n"
            "finally:\n    sys.stderr.write('jinja2' in sys.modules and 'IMPORTED' or 'NOT')\n")
    env = {**os.environ, "MESHCHARTS_CACHE_DIR": str(tmp_path / "cache")}
    first = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env)
    again = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env)
    assert (first.returncode, again.returncode) == (0, 0), first.stderr + again.stderr
    assert (first.stderr, again.stderr) == ("IMPORTED", "NOT")  # parsed once, then never again
    assert again.stdout == first.stdout
    assert "".join(f"  > {line}\n" for line in EXPECTED.splitlines()) in again.stdout


def test_a_bridged_filter_imports_jinja2_only_when_called(tmp_path):
    code = ("import sys\nfrom meshcharts.template.engine import Engine\n"
            "engine = Engine(persistent=False)\nf = engine.table.filter('wordcount')\n"
            "before = 'jinja2' in sys.modules\nprint(before, f('a b c'), 'jinja2' in sys.modules)\n")
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert proc.stdout.split() == ["False", "3", "True"]


def test_the_documentation_lists_every_filter_that_calls_jinja2():
    text = (ROOT / "docs" / "chart-authoring.md").read_text(encoding="utf-8")
    section = text.split("<!-- bridged filters -->")[1].split("<!-- end -->")[0]
    documented = sorted(re.findall(r"`([a-z]+)`", section))
    assert documented == Engine(persistent=False).table.bridged()
