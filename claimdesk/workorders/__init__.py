"""Work orders (任务委托书): reception, estimate, authorisation, workshop, checks, delivery, follow-up."""
