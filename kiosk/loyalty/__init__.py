"""The loyalty backend contract, its models and errors, and the Annex Cloud adapter."""
