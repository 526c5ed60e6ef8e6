"""Write use cases of pilot execution, one module per family (enrolment, records,
transformation, alliances, catalogue, programmes); the permission predicates they share are in
``permissions``."""
