def search_web(q):
    return [q]


def search_docs(q):
    return []


def _search_private(q):
    return None


def fetch(url):
    raise TimeoutError(url)
