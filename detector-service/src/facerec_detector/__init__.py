"""Detector service: finds faces, their 5 landmarks, and returns ArcFace-aligned 112x112 crops."""
