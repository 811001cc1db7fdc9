"""Composite blocks built from layers: residual, inception, MobileNet, compound scaling."""
