"""The shipped evidence (ontology/ and data/) into a store, and watching it for changes."""
