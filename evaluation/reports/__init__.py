"""The official tables of the seeds as standalone reports that roll up from county to city to
province (DESIGN.md §9): ``scope`` picks the bureau, ``figures`` computes, ``tables`` lays out."""
