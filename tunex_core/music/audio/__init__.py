"""A song file placed on the catalog's valence-arousal plane by its sound: decoding, features, model, analysis."""
