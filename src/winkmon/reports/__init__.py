"""Documents for people: a session report to send (HTML, PDF).

Everything here is built from what ``winkmon report`` computes (the report document and the
pipeline's angle series), so the terminal table, the JSON and the HTML never disagree.
"""
