"""Between the models and the protocol: model inputs and outcomes as protobuf messages.

Both directions of the TCK use these modules: playing the proxy, the TCK builds
commands and the replies it expects; playing the user function, it builds the
replies it sends.
"""
