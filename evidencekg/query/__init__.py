"""The named-query catalogue: documented .rq files with typed parameters."""
