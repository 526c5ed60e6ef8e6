# Models arrive with their issue; see ../shared/DESIGN.md §7 for what this app holds.
