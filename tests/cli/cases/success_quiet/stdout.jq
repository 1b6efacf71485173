(.articles | map(.id)) == [1, "b", 3]
and (.articles | map(.title)) == ["Café \"opens\"", "Tab\there", "Plain"]
and (.articles | map(.sentiment.label)) == ["positive", "negative", "neutral"]
and (.articles | map(.completed) | sort) == [1, 2, 3]
and (.articles[0].summary == "Profits rose sharply. Everyone celebrated.")
and .run.articles == 3 and .run.latency_ms == [0, 0] and .run.queue_capacity == 1024
and .run.critical_path_ms == 0 and (.run.wall_ms | type) == "number" and .run.seed == 1
