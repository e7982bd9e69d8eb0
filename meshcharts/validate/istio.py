def known(api_version, kind):
    return False
def check(obj, report):
    pass
