from handmade import Reviewer, lookup

Reviewer().execute("x")
lookup("k")
