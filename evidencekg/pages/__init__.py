"""What pages show: resource views for HTML/RDF pages and store statistics."""
