"""Flow definitions: data parsed once into frozen dataclasses, validated at load time."""
