"""Code shared by the facerec services. Nothing here knows about HTTP."""
