"""What each feature of :data:`bot.features.FEATURES` plugs in, one module per feature.

Each function imports the feature's entry point when called (``tongguan --help`` builds
the parser on every run, and importing every service, web handler and model up front
would cost it most of a second). ``bot/features.py`` names these functions in the
feature's ``Feature`` entry; none of these modules imports ``bot.features``.
"""
