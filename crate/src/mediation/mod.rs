//! Mediation: each study's indirect effect from its paths (its variance, Monte Carlo and
//! distribution-of-the-product intervals), pooled paths, the rules for asymmetric limits,
//! rounding, and tables of pooled rows.

pub mod bivariate;
pub mod dop;
pub mod montecarlo;
pub mod per_study;
pub mod pooled;
pub mod rounding;
pub mod sensitivity;
pub mod table;
