"""Meta-analysis: pooling, inputs, sensitivity, pairs from the store, one analysis with its pick lists, reports, history and plots."""
