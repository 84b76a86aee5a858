import os

# pypinyin's phrase dictionary costs 40 MB and a second at start-up; the bot only asks for the
# readings of single characters (bot.search), which it does not change. Set before any import.
os.environ.setdefault("PYPINYIN_NO_PHRASES", "true")
