"""Wengang (稳岗): unemployment-insurance job-stabilisation and benefit notices as running software."""

__version__ = "0.1.0"
