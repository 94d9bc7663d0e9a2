//! P4_16 front end: preprocessor, parser, semantic checks, lowering to the pipeline IR, P4Info
