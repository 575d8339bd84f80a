# How the voice should say the book's names (see docs/manifest.md, "Pronunciation").
Okonkwo => Oh-konk-woh
Skerrow => Skeh-roh
Hallowell => Hallo-well
