"""The resource search benchmark: labelled queries, quality metrics, baselines and timing."""
