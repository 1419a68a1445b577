"""composer.client"""
