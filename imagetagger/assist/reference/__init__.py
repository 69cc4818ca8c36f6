"""A reference model backend: a small HTTP server speaking the Label Studio ML backend protocol
(``/health``, ``/setup``, ``/predict``) that finds faces and people with OpenCV's Haar cascades and
outlines a prompted object with GrabCut.

It is an example to run ImageTagger's machine assistance against (and what the tests use as a real
backend), not the product's intelligence. Start it with ``python -m assist.reference`` (README.md)."""
