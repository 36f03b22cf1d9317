from shop.agents import ReportAgent


def nightly():
    return ReportAgent().execute("nightly")
