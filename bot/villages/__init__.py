"""What a village shows its residents: what answers "who serves us, and when do they come?".

The contact card (chat and printed), village QR codes, station days and the station-day eve
reminder. May import ``models``, ``cases.outbox`` (the eve list is a push) and the spine.
"""
