"""What pages show: resource views for HTML/RDF pages, store statistics and the meta-analysis page."""
