"""The observatory: Rasa's published events turned into our own tables (catalog/models.py,
ObservedConversation and ObservedRecommendation), which the console reads."""
