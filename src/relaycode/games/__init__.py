"""The combining game of CN102821157A [0187]–[0190]: each re-share adds its sharer's
attribute to what the code stands for (oxygen + hydrogen + hydrogen → water)."""
