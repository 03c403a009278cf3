"""The launcher: ``stretch-coach chat|voice|web|cluster`` sets up, starts the action and Rasa
servers, then one client (the scripts under ``scripts/`` do the work; this is their one entry)."""
