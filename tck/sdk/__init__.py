"""The TCK playing the proxy against a user function (SDK conformance): its connection and discovery."""
