"""The retired pocketsphinx grammar recogniser (the voice layer before Whisper), kept unchanged
as the baseline the voice benchmark compares the product with. Not used by the product."""
