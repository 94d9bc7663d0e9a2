//! The pipeline IR the softswitch executes and the table-entry model shared by compiler, runtime and softswitch
