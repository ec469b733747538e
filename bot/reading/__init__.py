"""Reading: what answers "what did this person mean?".

Between the registry's exact commands and intake, a free text is read as a complaint, a question
the bot can answer (station day, contact card, the knowledge base), a question for a cadre (an
inquiry), small talk, an emergency, or a mistyped command. ``normalise`` puts the text in one
form first (NFKC, simplified characters, Cantonese words in Mandarin) for reading only: the case
keeps the text as written. May import ``models``, ``cases`` (the classifier), ``villages`` and the
spine; never ``handlers``, ``wechat`` or ``delivery``.
"""
