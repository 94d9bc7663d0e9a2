//! P4_16 front end: preprocessor, parser, semantic checks, lowering to the pipeline IR, P4Info.
//!
//! The central data structure is [`ast::Program`]: arenas of declarations, statements,
//! expressions and type references addressed by typed [`arena::Handle`]s, every node carrying
//! its [`arena::Loc`] in the original source file (mapped back through the preprocessor).

pub mod arena;
pub mod ast;
pub mod generate;
pub mod include;
pub mod lex;
pub mod lower;
pub mod p4info;
mod parse;
pub mod preprocess;
pub mod sema;
pub mod syntax;
pub mod token;
