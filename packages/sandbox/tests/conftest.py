"""The sandbox's tests use the fixtures its own pytest plug-in ships (`aide_sandbox.testing`: `sandbox`, `gmail`)."""
