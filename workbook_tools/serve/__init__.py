"""`wbtool serve`: the bureau's intake portal (optional extra ``wbtool[serve]``; the web app lives in ``app``)."""
