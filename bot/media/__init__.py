"""Case attachments: residents' photos, voice and video copied out of WeChat into a media store."""
