.articles | length == 15
