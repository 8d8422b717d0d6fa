"""The evidence network: building the graph, layout, paths, style, exports and pictures."""
