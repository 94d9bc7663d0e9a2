//! ddsr's software P4 switch: executes the pipeline IR that the P4 front end lowers from the programs in `p4/`.
