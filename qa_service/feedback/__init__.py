"""Feedback that feeds evaluation: every HTTP answer stored under its id (store.py), rated up or down over
`POST /v1/feedback`, settled by a reviewer (review.py) and exported as evaluation questions (export.py)."""
