"""Statement import and reconciliation: bank files in, matched books out."""
