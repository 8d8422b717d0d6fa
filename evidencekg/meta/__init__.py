"""Meta-analysis: pooling, inputs, sensitivity, pairs from the store, history and plots."""
