"""The domain: what answers "what happens to a case?".

Filing (a new case, a supplement, a co-report), the case life (every transition: lock, check
state and right, set the fields, write the ledger and the outbox), routing by contact card,
permissions, the classifier, the outbox writer, the overdue ladder and the follow-up. May import
``models``, ``villages``, the reading step's ``normalise`` (a leaf: the classifier reads normalised
text) and the spine; never ``handlers``, ``wechat`` or ``delivery``: a push is
an outbox row, delivered later.
"""
