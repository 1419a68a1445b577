"""composer.services"""
