"""Tongguan (通管): conversational intake for a city in an epidemic."""

__version__ = "0.1.0"
