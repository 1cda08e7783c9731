pub mod targets;
